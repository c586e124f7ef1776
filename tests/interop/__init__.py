"""Two implementations on one database: what one writes, the other must honour."""
