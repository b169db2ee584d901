"""The validator's checks, one concern per module.

``template`` walks the document and calls ``targets``, ``actions`` and ``options`` per section;
``parameters`` types parameter values against the catalog; ``fields`` reads typed fields;
``formats`` holds FIS's string formats; ``text`` keeps every message short; ``context`` collects.
Per-action rules live in the catalog data (chaos_pulumi/spec/data/fis-catalog.yaml), not here.
"""
