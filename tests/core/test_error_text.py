"""A Keras or TensorFlow error as one readable line: the cause, without file paths."""

from __future__ import annotations

from nnstudio.core.error_text import cause_line, has_details

# What TensorFlow 2.21 / Keras 3 raise when Iris is trained with sparse_categorical_crossentropy and the
# mean_squared_error metric (the frames shortened; their form is TensorFlow's).
TF_GRAPH_ERROR = """Graph execution error:

Detected at node sub defined at (most recent call last):
  File "/usr/lib/python3.11/runpy.py", line 198, in _run_module_as_main

  File "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/keras/src/backend/tensorflow/trainer.py", line 399, in fit

  File "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/keras/src/metrics/reduction_metrics.py", line 203, in update_state

  File "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/keras/src/losses/losses.py", line 1788, in mean_squared_error

Incompatible shapes: [32] vs. [32,3]
\t [[{{node sub}}]] [Op:__inference_multi_step_on_iterator_633]"""


def test_a_graph_error_gives_its_cause_and_the_function_it_came_from():
    line = cause_line(TF_GRAPH_ERROR)
    assert line == "Incompatible shapes: [32] vs. [32,3] (in mean_squared_error)"
    assert has_details(TF_GRAPH_ERROR, line)


def test_a_keras_message_is_its_own_first_line():
    message = "units must be a positive integer. Received: units=-5"
    assert cause_line(message) == message and not has_details(message, cause_line(message))
    two = "Input 0 of layer dense is incompatible with the layer: expected axis -1 to have value 20\nmore text"
    assert cause_line(two) == "Input 0 of layer dense is incompatible with the layer: expected axis -1 to have value 20"


def test_file_paths_are_cut_to_the_file_name_and_the_line_stays_short():
    assert (
        cause_line("cannot read /home/someone/data/flowers.csv: no such file")
        == "cannot read flowers.csv: no such file"
    )
    assert len(cause_line("x" * 5000)) <= 300
    assert cause_line("") == "an unknown error"


def test_a_message_cut_in_the_middle_by_the_engine_keeps_its_cause():
    from nnstudio.engine.process import MAX_MESSAGE, _message

    long = TF_GRAPH_ERROR.replace(
        "Detected at node",
        "\n".join(f'  File "/x/y/z{i}.py", line 1, in f{i}' for i in range(80)) + "\nDetected at node",
    )
    kept = _message(RuntimeError(long))
    assert len(kept) <= MAX_MESSAGE and "Incompatible shapes: [32] vs. [32,3]" in kept
    assert cause_line(kept) == "Incompatible shapes: [32] vs. [32,3] (in mean_squared_error)"
