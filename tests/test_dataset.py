"""The labelled dataset format: written by the admin's export, read by the benchmark."""

import zipfile

import pytest

from ocr_record.dataset import DatasetError, parse_labels, read_dataset, write_dataset
from ocr_record.engine import load_image, recognise_letters
from tests.conftest import draw_text, encode


def test_a_written_dataset_reads_back_as_a_zip_and_as_the_folder_it_unpacks_to(tmp_path):
    hello, blank = encode(draw_text("Hello")), encode(draw_text(" ", size=40))
    archive = tmp_path / "set.zip"
    with archive.open("wb") as target:
        count = write_dataset(
            [("images/a.png", hello, list("Hello")), ("images/b.png", blank, [])], target
        )
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "unpacked")

    for source in (archive, tmp_path / "unpacked"):
        items = list(read_dataset(source))
        assert count == 2
        assert [(i.name, i.data, i.letters) for i in items] == [
            ("images/a.png", hello, ["H", "e", "l", "l", "o"]),
            ("images/b.png", blank, []),
        ]


def test_the_labels_file_is_one_line_per_image_with_a_tab(tmp_path):
    archive = tmp_path / "set.zip"
    with archive.open("wb") as target:
        write_dataset([("images/a.png", b"x", ["K", "p"])], target)

    with zipfile.ZipFile(archive) as opened:
        lines = opened.read("labels.tsv").decode().splitlines()

    assert lines[0].startswith("#")
    assert lines[1:] == ["images/a.png\tKp"]


def test_a_dataset_case_runs_through_the_engine(tmp_path):
    """What a benchmark does with it: recognise each image, compare with its label."""
    archive = tmp_path / "set.zip"
    with archive.open("wb") as target:
        write_dataset([("images/h.png", encode(draw_text("Hello")), list("Hello"))], target)

    (item,) = read_dataset(archive)

    assert recognise_letters(load_image(item.data)).letters == item.letters


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        ("images/a.png Hello\n", "expected <file>TAB<letters>"),
        ("images/a.png\tHe1lo\n", "letters must be A-Z a-z"),
        ("../etc/passwd\tA\n", "bad file name"),
        ("/abs.png\tA\n", "bad file name"),
    ],
)
def test_a_bad_labels_file_is_refused_with_its_line(labels, problem):
    with pytest.raises(DatasetError, match=problem):
        parse_labels("# comment\n" + labels)


def test_letters_that_are_not_a_to_z_cannot_be_written(tmp_path):
    with (tmp_path / "x.zip").open("wb") as target, pytest.raises(DatasetError):
        write_dataset([("images/a.png", b"x", ["1"])], target)


def test_a_zip_without_labels_is_refused(tmp_path):
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("images/a.png", b"x")

    with pytest.raises(DatasetError, match=r"no labels\.tsv"):
        list(read_dataset(archive))


def test_the_benchmark_reads_an_exported_dataset(tmp_path, capsys):
    from bench.run import main as run_benchmark

    items = [
        ("images/hello.png", encode(draw_text("Hello")), list("Hello")),
        ("images/wrong.png", encode(draw_text("Kp")), list("Zz")),  # a wrong label
    ]
    path = tmp_path / "reviewed.zip"
    with path.open("wb") as target:
        write_dataset(items, target)

    assert run_benchmark(["--dataset", str(path), "--only-datasets", "--no-baseline"]) == 0

    rows = [line for line in capsys.readouterr().out.splitlines() if "| dataset |" in line]
    (row,) = rows
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2] == "2"  # n
    assert cells[3] == "50.0"  # exact %: the engine reads both, one label is wrong
