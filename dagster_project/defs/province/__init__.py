"""The province on Spark: counties as partitions, one dbt run over all of them."""
