// msgpackr loads its native extractor inside a try and uses pure JS when it fails.
throw new Error("msgpackr-extract is not used by sigmavault (pure-JS msgpackr)")
