"""Speed and accuracy benchmarks (run as scripts); `detector_worlds` holds the labelled benchmark
worlds of the detector benchmark, kept out of the shipped package."""
