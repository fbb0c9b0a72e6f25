"""Raw tables as open Parquet files, so Spark reads every county's data where it lives."""
