"""The Schaalvraag: blind votes with a live ballot, the reveal, new rounds, the family's view,
and the case's score trend with its chart."""
