"""Trợ lý Giảm nghèo: the poverty-reduction assistant (composition root, core and channels)."""
