"""Chat channels, one package each (`whatsapp/`, `telegram/`) behind one port (`port.py`),
registered in `registry.py`. An adapter layer: the domain and the service never import it."""
