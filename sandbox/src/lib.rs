//! Processor simulators (in progress).
