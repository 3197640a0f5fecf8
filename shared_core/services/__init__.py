"""Services built on ``CoreClient``: media (images, audio) and jobs (files, batches, fine-tuning)."""
