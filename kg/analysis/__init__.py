"""Analysis of the projected network: ``network`` (the store as a dated MultiDiGraph),
``centrality``, ``simulation`` (shocks and their cascades), ``chokepoints``, ``scenarios``
(named shocks kept as data) and ``results`` (runs written back as RDF)."""
