"""Graph algorithms over graph.edges: inference rules, impact closure, queries, deprecation
candidates and similarity suggestions. Every algorithm has a DataFrame implementation that runs
on any engine; `spark_jobs.graph.gf` adds GraphFrames ones for classic sessions that can load it."""
