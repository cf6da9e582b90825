"""Process plumbing: starting rasa, the action server and the app; the Rasa model and endpoints; HTTP clients of
Rasa and of our own REST channel."""
