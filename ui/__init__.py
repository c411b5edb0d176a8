"""martmind's faces: the Gradio app and the `martmind` command line."""
