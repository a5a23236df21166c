"""Starting a show and its episodes: ``artoiscast init`` (:mod:`.init`) and ``artoiscast new``
(:mod:`.new`), the files they write (:mod:`.documents`), the placeholder cover (:mod:`.cover`)
and how they ask (:mod:`.prompt`). They write the catalog; the catalog's own reader judges
what they wrote before it is kept.
"""
