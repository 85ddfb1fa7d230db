// Drag and drop on the expansion pipeline board: an open card (it carries data-move-url) can be dropped on
// another stage's column (data-drop-stage), which POSTs the move through htmx exactly as the card's own
// buttons do, and the board that comes back replaces #board so every column's totals follow. Dropping on
// "Lost" asks for the reason first. Without JavaScript nothing here runs and the buttons remain the way.
function csrfHeaders() {
  // base.html puts the CSRF token on <body hx-headers='{"X-CSRFToken": ...}'> for htmx requests.
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  } catch (error) {
    return {};
  }
}

function dropColumn(event) {
  return event.target instanceof Element ? event.target.closest("[data-drop-stage]") : null;
}

function clearDropTargets() {
  document.querySelectorAll(".drop-target").forEach((column) => column.classList.remove("drop-target"));
}

// Cards become draggable when htmx has loaded the page, and again in every board it swaps in. A plain
// listener registered now, before htmx starts: htmx.onLoad called from a DOMContentLoaded handler would
// miss the page's own load event.
document.addEventListener("htmx:load", (event) => {
  const root = event.detail.elt;
  const cards = root.matches?.("[data-move-url]") ? [root] : root.querySelectorAll?.("[data-move-url]") || [];
  cards.forEach((card) => {
    card.draggable = true;
  });
});

document.addEventListener("dragstart", (event) => {
  const card = event.target instanceof Element ? event.target.closest("[data-move-url]") : null;
  if (!card) return;
  event.dataTransfer.setData("text/plain", card.id);
  event.dataTransfer.effectAllowed = "move";
  card.classList.add("dragging");
});

document.addEventListener("dragend", (event) => {
  if (event.target instanceof Element) event.target.classList.remove("dragging");
  clearDropTargets();
});

document.addEventListener("dragover", (event) => {
  const column = dropColumn(event);
  if (!column) return;
  event.preventDefault(); // allows the drop
  event.dataTransfer.dropEffect = "move";
  if (!column.classList.contains("drop-target")) {
    clearDropTargets();
    column.classList.add("drop-target");
  }
});

document.addEventListener("drop", (event) => {
  const column = dropColumn(event);
  if (!column || !window.htmx) return;
  event.preventDefault();
  clearDropTargets();
  const card = document.getElementById(event.dataTransfer.getData("text/plain"));
  const stage = column.dataset.dropStage;
  if (!card || !card.dataset.moveUrl || card.dataset.stage === stage) return;
  const values = { stage };
  if (stage === "lost") {
    const reason = window.prompt("Why was it lost?");
    if (!reason || !reason.trim()) return;
    values.lost_reason = reason.trim();
  }
  window.htmx.ajax("POST", card.dataset.moveUrl, {
    source: card, target: "#board", swap: "outerHTML", values, headers: csrfHeaders(),
  });
});
