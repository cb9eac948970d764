"""clusterwatch: a warehouse for humanitarian coordination data."""
