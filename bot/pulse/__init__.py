"""Anonymous pulse surveys: a few rotating questions on outsourcing concerns plus eNPS, answered in a
modal, stored without any link to the person, shown only for segments large enough to stay anonymous."""
