"""Everything the record gives away as data: the incident list as CSV and JSON
(`incidents.py`), the SDG 16.10.1 export (`sdg.py`), the RSS and Atom feeds (`feeds.py`),
and the one CSV writer every CSV of the site goes through (`csvfile.py`, the hotline's and
the barometer's included). Their routes are in `urls.py`."""
