"""Where items come from: fetching feeds over HTTP or from disk, and parsing them."""
