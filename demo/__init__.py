"""Demo data for a local site (`manage.py load_demo`, which `make run` calls): the public
record's one real article and its clearly fictional incidents, and the duty desk's queue.

Its literals are data files (`data/*.yaml`); the modules here only generate records from them
and write them through the services staff use (`incidents.services`, `hotline.services`), so
every status, timer and publication time is set by its owner, and a published demo incident
has passed the same publication checks as any other. The apps never import this one.
"""
