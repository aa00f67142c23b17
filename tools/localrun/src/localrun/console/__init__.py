"""The local console (http://127.0.0.1:4567): the topology, traces, queues and DLQs, and a way to drive it all."""
