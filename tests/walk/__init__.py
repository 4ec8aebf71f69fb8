"""The whole product walked through its pages in a real browser."""
