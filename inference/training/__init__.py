"""Training, export and evaluation of Shelly's emotion classifier (optional extra ``[train]``)."""
