"""Text models: turn a paper's text into a vector (TF-IDF in :mod:`recommender.text.tfidf`)."""
