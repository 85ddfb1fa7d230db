// The scoring configuration editor: adds up the health weights as they are typed (the server checks the sum).
document.addEventListener("DOMContentLoaded", () => {
  const sum = document.getElementById("weight-sum");
  const total = document.getElementById("weight-total");
  if (!sum || !total) return;
  const target = Number(sum.dataset.target);
  const inputs = Array.from(document.querySelectorAll("input[data-weight]"));
  const update = () => {
    let value = 0;
    for (const input of inputs) {
      const text = input.value.trim();
      if (text === "") continue;
      if (!/^-?[0-9]+(\.[0-9]+)?$/.test(text)) { value = NaN; break; }
      value += Number(text);
    }
    const shown = Number.isNaN(value) ? "?" : String(Math.round(value * 1e6) / 1e6);
    total.textContent = shown;
    sum.classList.toggle("weight-sum-wrong", shown !== String(target));
  };
  for (const input of inputs) input.addEventListener("input", update);
  update();
});
