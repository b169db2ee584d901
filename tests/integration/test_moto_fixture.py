"""The moto fixture is what every integration test stands on: prove it speaks FIS over HTTP."""


def test_moto_server_speaks_fis_over_http(moto):
    fis = moto.client("fis")
    assert fis.list_experiment_templates()["experimentTemplates"] == []
    assert moto.url.startswith("http://127.0.0.1:")
