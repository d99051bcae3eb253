"""Face unlock (work in progress on this branch: synthetic faces, verification metrics)."""
