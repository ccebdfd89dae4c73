"""One module per benchmark variant; each defines `build(ctx)` returning a request factory."""
