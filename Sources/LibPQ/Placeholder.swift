// Placeholder so the target builds; replaced as the issue lands.
