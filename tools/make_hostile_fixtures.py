#!/usr/bin/env python3
"""Model files that point outside themselves, for recur's refusal of them (issue 18).

usage: .venv-keras/bin/python tools/make_hostile_fixtures.py   (h5py only; rerunnable)

HDF5 lets a file read data from other files in three ways; each copy below of a sound model
uses one, so that loading it as it is would read bytes that are not the model's:

  external_storage.h5      the Dense kernel keeps its values in /etc/passwd (external storage)
  external_link.h5         the Dense layer's weights group is an external link into
                           external_link_target.h5 (a copy of the model)
  virtual_dataset.h5       the Dense kernel is a virtual dataset mapped from the target's
  external_storage.keras   a .keras archive whose model.weights.h5 has a dataset kept in
                           /etc/passwd

The sound models are Tests/Fixtures/stream/tiny_rnn.h5 and Tests/Fixtures/formats/k3_named.keras.
"""
import io
import os
import shutil
import zipfile

import h5py

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
OUT = os.path.join(FIXTURES, "hostile")
MODEL = os.path.join(FIXTURES, "stream", "tiny_rnn.h5")
ARCHIVE = os.path.join(FIXTURES, "formats", "k3_named.keras")
KERNEL = "model_weights/dense/sequential/dense/kernel"


def copy(name):
    path = os.path.join(OUT, name)
    shutil.copyfile(MODEL, path)
    return path


def replace_with_external(group, name, target):
    """Replaces dataset `name` of `group` by one of the same shape kept in file `target`."""
    shape, dtype = group[name].shape, group[name].dtype
    del group[name]
    group.create_dataset(name, shape=shape, dtype=dtype, external=[(target, 0, h5py.h5f.UNLIMITED)])


def main():
    os.makedirs(OUT, exist_ok=True)
    target = copy("external_link_target.h5")

    with h5py.File(copy("external_storage.h5"), "r+") as f:
        group, name = KERNEL.rsplit("/", 1)
        replace_with_external(f[group], name, "/etc/passwd")

    with h5py.File(copy("external_link.h5"), "r+") as f:
        del f["model_weights/dense"]
        f["model_weights/dense"] = h5py.ExternalLink("external_link_target.h5", "/model_weights/dense")

    with h5py.File(copy("virtual_dataset.h5"), "r+") as f:
        shape, dtype = f[KERNEL].shape, f[KERNEL].dtype
        layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
        layout[...] = h5py.VirtualSource(os.path.basename(target), "/" + KERNEL, shape=shape)
        group, name = KERNEL.rsplit("/", 1)
        del f[group][name]
        f[group].create_virtual_dataset(name, layout)

    # The archive: its weights image rewritten with h5py, every other member as it was.
    with zipfile.ZipFile(ARCHIVE) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    image = io.BytesIO(members["model.weights.h5"])
    with h5py.File(image, "r+") as f:
        datasets = []
        f.visititems(lambda path, item: datasets.append(path) if isinstance(item, h5py.Dataset) else None)
        group, name = datasets[0].rsplit("/", 1)
        replace_with_external(f[group], name, "/etc/passwd")
    members["model.weights.h5"] = image.getvalue()
    with zipfile.ZipFile(os.path.join(OUT, "external_storage.keras"), "w", zipfile.ZIP_STORED) as out:
        for member, data in members.items():
            out.writestr(member, data)


if __name__ == "__main__":
    main()
