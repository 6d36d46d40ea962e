"""One client's suggestions: the catalogue, eligibility rules, ranking, reasons and evidence."""
