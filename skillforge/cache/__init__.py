"""The content-addressed cache behind templates, fragments and sections."""
