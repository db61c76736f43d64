"""CSV training data: column choice, class labels, normalisation, and messages naming row and column."""

import numpy as np
import pytest

from nnstudio.core import csv_data
from nnstudio.core.csv_data import CsvError, load_csv


def test_iris_ships_with_150_rows_and_3_species():
    data = csv_data.load_iris()
    assert data.x.shape == (150, 4) and data.y.shape == (150, 3)
    assert data.classes == ("setosa", "versicolor", "virginica")
    assert data.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert (data.y.sum(axis=0) == 50).all()
    sparse = csv_data.load_iris(loss="sparse_categorical_crossentropy")
    assert sparse.y.shape == (150,) and set(sparse.y.tolist()) == {0, 1, 2}
    assert (csv_data.IRIS_PATH.parent / "README.md").read_text().count("icence") >= 1


def test_bad_cell_names_row_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,target\n1,2,3\n4,5,6\n7,oops,9\n")
    with pytest.raises(CsvError) as info:
        load_csv(path)
    assert str(info.value) == "row 4, column 'b' (2): expected a number, found 'oops'"
    assert info.value.row == 4 and info.value.column == "b"


def test_missing_value_names_row_and_column():
    with pytest.raises(CsvError, match=r"row 3, column 'a' \(1\): missing value; expected a number"):
        load_csv("m.csv", text="a,b,t\n1,2,3\n,5,6\n")


def test_ragged_row():
    with pytest.raises(CsvError, match=r"row 3: has 2 cells; expected 3"):
        load_csv("r.csv", text="a,b,t\n1,2,3\n5,6\n")


def test_column_counts_must_fit_the_model():
    text = "a,b,c,t\n1,2,3,4\n5,6,7,8\n"
    with pytest.raises(CsvError, match="Input takes 20 features but 3 feature columns"):
        load_csv("f.csv", text=text, input_size=20)
    with pytest.raises(CsvError, match="10 outputs but 1 target columns"):
        load_csv("f.csv", text=text, input_size=3, output_units=10)
    data = load_csv("f.csv", text=text, features=["a", "b"], targets=["c", "t"], input_size=2, output_units=2)
    assert data.x.tolist() == [[1, 2], [5, 6]] and data.y.tolist() == [[3, 4], [7, 8]]


def test_columns_by_number_and_unknown_names():
    data = load_csv("n.csv", text="1,2,3\n4,5,6\n", targets=[1])
    assert data.x.tolist() == [[2, 3], [5, 6]] and data.y.tolist() == [[1], [4]]
    with pytest.raises(CsvError, match="no column named 'zz'"):
        load_csv("n.csv", text="a,b\n1,2\n", targets=["zz"])


def test_class_count_must_match_outputs():
    text = "x,label\n1,cat\n2,dog\n3,bird\n"
    with pytest.raises(CsvError, match="3 classes .* 2 outputs"):
        load_csv("c.csv", text=text, loss="categorical_crossentropy", output_units=2)
    data = load_csv("c.csv", text="x,label\n1,no\n2,yes\n", loss="binary_crossentropy", output_units=1)
    assert data.y.tolist() == [[0.0], [1.0]]


def test_word_in_numeric_target_names_cell():
    with pytest.raises(CsvError, match=r"row 3, column 'y' \(2\): expected a number, found 'cat'"):
        load_csv("c.csv", text="x,y\n1,2.5\n2,cat\n")


def test_text_classes_with_regression_loss_become_one_hot():
    data = csv_data.load_iris(loss="mean_squared_error")
    assert data.y.shape == (150, 3) and (data.y.sum(axis=1) == 1).all()
    with pytest.raises(CsvError, match="3 classes .* 10 outputs; expected one output per class"):
        csv_data.load_iris(output_units=10, loss="mean_squared_error")


def test_normaliser_uses_training_statistics():
    x = np.array([[1.0, 10.0], [3.0, 10.0]], dtype=np.float32)
    norm = csv_data.Normaliser.fit(x)
    assert norm.apply(x).tolist() == [[-1.0, 0.0], [1.0, 0.0]]


def test_prepare_splits_and_normalises_with_training_statistics():
    from nnstudio.core.spec import lesson_spec

    spec = lesson_spec()
    spec = spec.with_layer(0, spec.layers[0].with_params(shape=[4]))
    spec = spec.with_layer(2, spec.layers[2].with_params(units=3))
    data = csv_data.prepare(spec, csv_data.DataConfig("iris"), validation_split=0.2)
    assert data.x.shape == (120, 4) and data.x_val.shape == (30, 4) and data.y_val.shape == (30, 3)
    assert np.allclose(data.x.mean(axis=0), 0, atol=1e-5) and np.allclose(data.x.std(axis=0), 1, atol=1e-5)
    # the shuffled split holds back all three species, not just the last rows of the file
    assert (data.y_val.sum(axis=0) > 0).all()
    with pytest.raises(CsvError, match="Input takes 20 features but 4"):
        csv_data.prepare(lesson_spec(), csv_data.DataConfig("iris"))
    synthetic = csv_data.prepare(lesson_spec(), csv_data.DataConfig(samples=50), validation_split=0.0)
    assert synthetic.x.shape == (50, 20) and synthetic.validation_data is None
