"""Commerce services tested on real stores."""
