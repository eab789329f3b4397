"""RSpace contract suite: RSpace's OAuth and documents contract, runnable against any server."""
