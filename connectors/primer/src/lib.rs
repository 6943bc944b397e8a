//! Primer connector (in progress).
