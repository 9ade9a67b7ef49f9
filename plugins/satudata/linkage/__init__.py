"""Linkage: one person list linked to another, a shared layer beneath the stages.

    result = link.link_people(left, right, model=model.load_model())   # exact trusted NIK, then Splink
    people = records.prepare_people(frame)                              # the features the linker compares

Harmonisation links the registries (DTKS, P3KE, DTSEN) with it and konvergensi links the recipient lists
to the harmonised people with the same functions; `satudata link` links any two files (`pairs`, `files`).
Nothing here reads or writes a stage's tables except the fitted models (`model_store`, `meta.model_padanan`).
"""
