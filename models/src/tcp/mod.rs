//! The sans-IO TCP engine (placeholder: the TCP issue fills this in).
