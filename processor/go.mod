module github.com/mcpparity/mcpparity/processor

go 1.26.0
