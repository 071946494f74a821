"""Staff read times to the second (China time, settings.TIME_ZONE): every admin field,
history version and list column that Django formats itself. Everything else falls back
to Django's zh_Hans formats (get_format looks up each name in turn)."""

TIME_FORMAT = "H:i:s"  # 20:45:29
DATETIME_FORMAT = "Y年n月j日 H:i:s"  # 2016年9月5日 20:45:29
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s"  # 2016-09-05 20:45:29
