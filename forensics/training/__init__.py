"""Practice images with answer keys (also the test-image builder)."""

from forensics.training.imagebuilder import AnswerKey, TrainingSpec, build_image, plan_files

__all__ = ["AnswerKey", "TrainingSpec", "build_image", "plan_files"]
