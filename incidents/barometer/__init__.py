"""The barometer (issue 27's room for it): what IMI counts and how it shows it.

- `counts.py`: the summary tables' reads (per day, per month and dimension), which every
  public number comes from;
- `figures.py`: the barometer's computation (IMI's counting rule, groups, regions, months);
- `stats.py`: what the statistics page shows: the period, the figures over it, summaries,
  chart data and tables, cached per data version;
- `tilemap.py`: the tile map of Ukraine's regions;
- `views.py`: the pages only: the statistics page, its CSV tables and the monthly reports.

The counts are written by incidents.services (incidents_refresh, _recount); a month's
report is published by incidents.services.monthly_report_publish.
"""
