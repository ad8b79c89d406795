"""Text intelligence: Chinese segmentation and the intake classifier (jieba, scikit-learn); never imported
by workflows."""
