//! Track length and averaged positions (being written).
