"""Trust: product reviews from verified buyers and the fake-review / fake-order signals brands act on."""
