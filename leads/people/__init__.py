"""The data subject: people found by normalised email, the leads filed under them, and what is held about them."""
