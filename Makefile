# The README's two commands. Both install what they need into .venv and start what is needed.
.PHONY: demo test setup clean

setup:
	bash scripts/setup.sh

demo: setup
	bash scripts/demo.sh

test: setup
	bash scripts/test.sh

clean:
	rm -rf runs .pytest_cache
