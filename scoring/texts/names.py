"""Names the reader must not take for a competitor: the systems customers connect to us (EHRs and practice
systems, labs) and everyday products (operating systems, office, cloud and payment products). One list for the
intent grammar ("we are moving to Epic" is not leaving us) and for finding competitors."""

# EHRs and practice systems as they are spelled; entities reports the first one named as a fact.
EHRS = ("Epic", "Cerner", "Oracle Health", "athenahealth", "eClinicalWorks", "NextGen", "Meditech", "Allscripts",
        "Veradigm", "Greenway", "Kareo", "AdvancedMD", "DrChrono", "Practice Fusion", "Medatixx", "CGM", "Albis",
        "Turbomed", "T2med", "Tomedo", "Medistar", "Orbis", "Doc Cirrus", "x.isynet", "Quincy")
_OTHER_EHR_NAMES = ("MyChart", "Oracle", "athena", "athenaOne", "eCW", "Elation", "ModMed", "Nextech", "Elefant")
LABS = ("Quest", "Labcorp", "Synlab", "Bioscientia", "Limbach", "Amedes", "Sonic")
EVERYDAY_PRODUCTS = (
    "Windows", "Mac", "macOS", "Linux", "iOS", "Android", "Chrome", "Edge", "Safari", "Firefox", "Microsoft",
    "Google", "Azure", "AWS", "Amazon", "Apple", "iPad", "iPhone", "Office", "Outlook", "Teams", "Zoom", "Excel",
    "Word", "SharePoint", "OneDrive", "Dropbox", "Box", "Slack", "Salesforce", "SAP", "Gmail", "Okta", "Citrix",
    "VMware", "Adobe", "PDF", "DocuSign", "PayPal", "Stripe", "Visa", "Mastercard", "ACH", "SEPA",
    # standards and German health-IT infrastructure
    "FHIR", "HL7", "SMART", "Direct", "SSO", "API", "KIM", "ePA", "TI")
# Every system above, lower-cased, single words and the words of several-word names.
SYSTEMS = frozenset(word.lower() for name in (*EHRS, *_OTHER_EHR_NAMES, *LABS, *EVERYDAY_PRODUCTS)
                    for word in (name, *name.split()))
