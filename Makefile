# The README's two commands. Both install what they need into .venv and start what is needed.
.PHONY: demo test test-fast setup clean

setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

test: setup
	bash scripts/test.sh

# The inner loop (docs/architecture.md): no Docker, no model server, no browser, no Ray, nothing slow.
test-fast: setup
	bash scripts/test.sh -q -m "not slow and not docker and not model and not browser and not ray"

clean:
	rm -rf runs .pytest_cache
