//! The send chain (placeholder: the TCP issue fills this in).
